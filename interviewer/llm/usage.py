"""Token usage and an estimate of its cost, per LLM call and per session.

Counts come from the provider when it reports them (OpenAI's `usage`, LangChain's
`usage_metadata`), else from tiktoken (then `estimated` is true). Prices are US dollars per
million tokens; `INTERVIEWER_LLM_PRICE="IN,OUT"` overrides the table, and models not in it
(local servers: Ollama, vLLM, llama.cpp, LM Studio) cost 0.
"""

from __future__ import annotations

from dataclasses import dataclass

# USD per 1M (input, output) tokens, matched by the longest prefix of the model name.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
}


@dataclass(frozen=True)
class CallUsage:
    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False


def price_for(model: str, override: tuple[float, float] | None = None) -> tuple[float, float]:
    """(input, output) USD per million tokens for `model` ("openai:gpt-4o-mini" or bare)."""
    if override is not None:
        return override
    name = model.split(":", 1)[-1].lower()
    matches = [p for p in PRICES if name.startswith(p)]
    return PRICES[max(matches, key=len)] if matches else (0.0, 0.0)


def cost_usd(usage: CallUsage, price: tuple[float, float]) -> float:
    return (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1_000_000


def from_metadata(meta: dict | None) -> CallUsage | None:
    """LangChain's `usage_metadata` ({input_tokens, output_tokens, ...}) -> CallUsage."""
    if not meta or "input_tokens" not in meta:
        return None
    return CallUsage(int(meta.get("input_tokens") or 0), int(meta.get("output_tokens") or 0))


def estimate(prompt_texts: list[str], completion: str) -> CallUsage:
    """Count with tiktoken when the provider reported nothing (a few tokens per message of
    chat framing are added, as OpenAI does)."""
    from interviewer.llm.tokens import count_tokens

    prompt = sum(count_tokens(t) + 4 for t in prompt_texts) + 3
    return CallUsage(prompt, count_tokens(completion), estimated=True)
