"""The Gradio web app. Gradio is imported only inside this package."""

from __future__ import annotations

import os

from interviewer.settings import Settings


def build_app(settings: Settings):
    import gradio as gr

    from interviewer.knowledge import KnowledgeStore

    store = KnowledgeStore(settings)

    def respond(message: str, history: list) -> str:
        if not message.strip():
            return "Ask about a PyTorch topic, e.g. 'view vs reshape'."
        hits = store.search([message], k=3)[0]
        if not hits:
            return "The knowledge base is empty: run `interviewer ingest` first."
        lines = [f"**{h.id}** ({h.topic}): {h.question}" for h in hits]
        return "Closest questions in the knowledge base:\n\n" + "\n".join(f"- {x}" for x in lines)

    return gr.ChatInterface(respond, title="torch-interviewer")


def main() -> None:
    settings = Settings.from_env()
    app = build_app(settings)
    app.queue(default_concurrency_limit=4).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        show_error=False,
    )
