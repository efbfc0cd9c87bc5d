() => {
  // The web chat's page behaviour (ui/chat.js, passed to launch(js=...)): plain-text copy,
  // [n] markers that open the source card (a panel over the chat on phones), the whole-document viewer.
  if (window.__rqInstalled) return;
  window.__rqInstalled = true;

  // Copy: the Chatbot copies a message's HTML; put the plain text with footnotes there instead.
  function plainText(text) {
    if (typeof text !== "string" || text.indexOf("rq-") < 0) return text;
    const doc = new DOMParser().parseFromString(text, "text/html");
    const parts = Array.from(doc.querySelectorAll(".rq-question, .rq-plain, .rq-stopped, .rq-error"));
    if (!parts.length) return doc.body.textContent;
    return parts.map((p) => p.textContent.trim()).join("\n\n");
  }
  const clip = navigator.clipboard;
  if (clip && clip.writeText) {
    const write = clip.writeText.bind(clip);
    clip.writeText = (text) => write(plainText(text));
  }

  function waitFor(find, ms) {
    return new Promise((resolve) => {
      const t0 = Date.now();
      (function poll() {
        const el = find();
        if (el || Date.now() - t0 > ms) return resolve(el);
        setTimeout(poll, 80);
      })();
    });
  }

  // Open/closed state lives in data-open attributes: Gradio scopes custom CSS under its container,
  // so a class on <body> would match nothing.
  const setOpen = (id, on) => { const el = document.getElementById(id); if (el) el.dataset.open = on ? "1" : ""; };
  let returnTo = null;
  document.addEventListener("click", (event) => {
    const cite = event.target.closest && event.target.closest('a[href^="#rq-src-"]');
    if (cite) {
      event.preventDefault();  // no jump: the card scrolls into view inside its panel
      const id = cite.getAttribute("href").slice(1);
      returnTo = cite.closest(".message-row") || cite;
      setOpen("rq-sources-col", true);
      // Clicking a bubble also asks the server for that answer's sources: wait for its card.
      waitFor(() => document.getElementById(id), 8000).then((card) => {
        if (!card) return;
        card.scrollIntoView({ block: "nearest" });
        card.classList.add("rq-flash");
        setTimeout(() => card.classList.remove("rq-flash"), 1500);
      });
      return;
    }
    const back = event.target.closest && event.target.closest(".rq-back");
    if (back) {
      setOpen("rq-sources-col", false);
      if (returnTo) returnTo.scrollIntoView({ block: "center" });
      return;
    }
    const view = event.target.closest && event.target.closest(".rq-view");
    if (view) {
      const box = document.querySelector("#rq-viewer-req textarea, #rq-viewer-req input");
      if (!box) return;
      box.value = JSON.stringify({ doc: view.dataset.doc, start: +view.dataset.start, end: +view.dataset.end,
                                   at: Date.now() });
      box.dispatchEvent(new Event("input", { bubbles: true }));
      setOpen("rq-viewer-wrap", true);
      waitFor(() => {
        const mark = document.querySelector("#rq-viewer #rq-view-mark");
        return mark && mark.closest(".rq-viewer").dataset.at === String(JSON.parse(box.value).at) ? mark : null;
      }, 15000).then((mark) => { if (mark) mark.scrollIntoView({ block: "center" }); });
      return;
    }
    if (event.target.closest && event.target.closest(".rq-viewer-close")) {
      setOpen("rq-viewer-wrap", false);
    }
  }, true);
}
