"""LLM plumbing shared by the grader and the interview engine.

- `make_chat_model(settings)`: a LangChain chat model for ``INTERVIEWER_LLM`` (e.g.
  ``"openai:gpt-4o-mini"``), or ``None`` for ``"offline"``.
- `render(name, **vars)`: a prompt from ``interviewer/prompts/NAME.yaml``, rendered strictly.
- `count_tokens(text)` / `fit_tokens(text, budget)`: cl100k_base token counting, offline.

Nothing here connects anywhere at import time or on construction.
"""

from interviewer.llm.prompts import Prompt, prompt_names, render
from interviewer.llm.registry import make_chat_model, parse_llm, register_provider
from interviewer.llm.tokens import count_tokens, encoding, fit_tokens

__all__ = ["Prompt", "count_tokens", "encoding", "fit_tokens", "make_chat_model", "parse_llm",
           "prompt_names", "register_provider", "render"]
