"""The LangChain tutorial pipeline, as the baseline a user would otherwise build: the raw file,
RecursiveCharacterTextSplitter(500/50), dense top-4, the tutorial prompt, the same two models.
Prints answers in the scorer's JSON format, so it is measured exactly like `python -m bot ask`.

    python -m bench.baseline QUESTIONS.jsonl [--data-dir DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_text_splitters import RecursiveCharacterTextSplitter

from bot.llm import make_chat_model
from index.embed import make_embeddings
from index.settings import Settings
from index.store import vector_store

TUTORIAL_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context "
    "to answer the question. If you don't know the answer, just say that you don't know. Use three "
    "sentences maximum and keep the answer concise.\nQuestion: {question}\nContext: {context}\nAnswer:"
)


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("questions", type=Path)
    p.add_argument("--data-dir", type=Path, default=Path(".data") / "baseline")
    args = p.parse_args(argv)
    settings = Settings.from_env(data_dir=args.data_dir, collection="tutorial_baseline")
    embeddings = make_embeddings(settings)
    store = vector_store(settings, embeddings)
    if store._collection.count() == 0:
        raw = (settings.corpus_dir / "laoshan-2026-npc-report.txt").read_text(encoding="utf-8")
        splits = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50).split_documents(
            [Document(page_content=raw, metadata={"source": "laoshan-2026-npc-report.txt"})])
        store.add_documents(splits)
    retriever = store.as_retriever(search_kwargs={"k": 4})
    chain = ChatPromptTemplate.from_template(TUTORIAL_PROMPT) | make_chat_model(settings) | StrOutputParser()
    for line in args.questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        t0 = time.perf_counter()
        docs = retriever.invoke(q["question"])
        t1 = time.perf_counter()
        answer = chain.invoke({"question": q["question"], "context": "\n\n".join(d.page_content for d in docs)})
        t2 = time.perf_counter()
        print(json.dumps({
            "id": q["id"], "question": q["question"], "answer": answer.strip(),
            "refused": "don't know" in answer.lower() or "不知道" in answer,
            "citations": [{"n": i, "doc": d.metadata.get("source"), "text": d.page_content, "start": None, "end": None}
                          for i, d in enumerate(docs, 1)],
            "mode": "baseline",
            "timings_ms": {"retrieve": (t1 - t0) * 1000, "generate": (t2 - t1) * 1000, "total": (t2 - t0) * 1000},
        }, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
