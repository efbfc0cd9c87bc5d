"""Web chat: a thin Gradio adapter over bot."""
