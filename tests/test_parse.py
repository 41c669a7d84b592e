"""The markdown parser reads the common shapes of interview Q&A files."""

from __future__ import annotations

import hashlib
import textwrap

import pytest

from interviewer.errors import InputError
from interviewer.knowledge.parse import parse_markdown

from conftest import SHARED


def md(s: str) -> str:
    return textwrap.dedent(s).lstrip("\n")


def test_seed_shape_with_sections_and_multiline_answers():
    text = md("""
        # Top questions

        ## **1. Basics of PyTorch (Questions 1-2)**

        **Q1: What is PyTorch?**
        **A:** A deep learning library.
        It has dynamic graphs.

        **Q2: What are tensors?**
        **A:** N-dimensional arrays.

        ## **2. Autograd (Questions 3-3)**

        **Q3: What is autograd?**
        **A:** Reverse-mode automatic differentiation.
        """)
    qs = parse_markdown(text)
    assert [(q.number, q.topic, q.question) for q in qs] == [
        ("1", "Basics of PyTorch", "What is PyTorch?"),
        ("2", "Basics of PyTorch", "What are tensors?"),
        ("3", "Autograd", "What is autograd?"),
    ]
    assert qs[0].answer == "A deep learning library.\nIt has dynamic graphs."
    assert qs[2].line == 14


def test_heading_q_and_a_labels():
    text = md("""
        ## Tensors
        ### Q: What does view() need?
        A: Memory whose strides are compatible with the new shape.
        ### Q: What does reshape() do?
        ### A: Returns a view when it can, otherwise a copy.
        """)
    qs = parse_markdown(text)
    assert [q.question for q in qs] == ["What does view() need?", "What does reshape() do?"]
    assert qs[1].answer == "Returns a view when it can, otherwise a copy."
    assert {q.topic for q in qs} == {"Tensors"}


def test_details_blocks_with_sub_questions_and_code():
    text = md("""
        ## Autograd

        ### Q: Gradients.
        1. What does backward() do?
        2. Where are gradients stored?

        <details><summary><b>Show answer</b></summary>

        It accumulates into `.grad`:

        ```python
        # this comment is not a heading
        x.backward()
        ```
        </details>

        ---

        7. Why zero gradients?

        <details>
        <summary>Answer</summary>
        - They accumulate across calls.
        </details>
        """)
    qs = parse_markdown(text)
    assert len(qs) == 2
    assert qs[0].question.startswith("Gradients. 1. What does backward() do?")
    assert "# this comment is not a heading" in qs[0].answer
    assert "Show answer" not in qs[0].answer
    assert qs[1].question == "Why zero gradients?"
    assert qs[1].answer == "- They accumulate across calls."


def test_numbered_bold_items_with_indented_code():
    text = md("""
        ## Tensor Operations
        ### Basic
        1. **How do you create a tensor?**  
           Use torch.tensor.  
           ```python
           # not a heading either
           t = torch.tensor([1, 2])
           ```

        #### Advanced
        2. **How do you reshape?**  
            With view or reshape.
        """)
    qs = parse_markdown(text)
    assert [(q.number, q.topic) for q in qs] == [("1", "Tensor Operations"), ("2", "Tensor Operations")]
    assert qs[0].answer.splitlines()[0] == "Use torch.tensor."
    assert "t = torch.tensor([1, 2])" in qs[0].answer
    assert qs[1].answer == "With view or reshape."


def test_whole_line_bold_questions_with_bold_answer_lines():
    text = md("""
        ## Bias and variance

        **What is the bias-variance trade-off? 👶**

        **Bias** is error from wrong assumptions.
        * Variance is sensitivity to the training set.

        <br/>

        **What is overfitting? ⭐️**

        Answer here

        <br/>

        **What is a validation set? 🚀**

        Data held out for model selection.
        """)
    with pytest.raises(InputError, match=r":10: .*has no answer"):
        parse_markdown(text, "bank.md")
    qs = parse_markdown(text, "bank.md", skip_unanswered=True)
    assert [q.question for q in qs] == ["What is the bias-variance trade-off?",
                                        "What is a validation set?"]
    assert qs[0].answer.startswith("**Bias** is error")


def test_numbered_questions_with_paragraph_answers():
    text = md("""
        # ML questions

        1. What is dropout?

        It randomly zeroes activations during training.

        It is disabled in eval mode.

        2. What is batch norm?

        - normalises activations per batch
        - keeps running statistics
        """)
    qs = parse_markdown(text)
    assert [q.question for q in qs] == ["What is dropout?", "What is batch norm?"]
    assert "disabled in eval mode" in qs[0].answer
    assert qs[1].answer.startswith("- normalises")


def test_heading_questions():
    text = md("""
        ## What is a leaf tensor?
        A tensor created by the user rather than by an operation.
        ## Why call model.eval()?
        It switches dropout and batch norm to inference behaviour.
        """)
    qs = parse_markdown(text)
    assert [q.question for q in qs] == ["What is a leaf tensor?", "Why call model.eval()?"]


@pytest.mark.parametrize("text, where", [
    ("**Q1: What?**\n**A:**\n\n**Q2: Why?**\n**A:** Because.\n", ":1:"),
    ("just some prose\nwithout questions\n", "notes.md"),
    ("## T\n### Q: Open?\n<details><summary>a</summary>\nnever closed\n", ":3"),
])
def test_bad_input_names_file_and_line(text, where):
    with pytest.raises(InputError) as e:
        parse_markdown(text, "notes.md")
    assert where in str(e.value)


CORPORA = {  # file -> (sha256, pairs) as documented in shared/benchmarks/corpora/SOURCE.md
    "ajitsingh98-dl-fundamentals-details.md":
        ("b9b536f8eca0678b31ba9f8d1e45efddc52f060677d01cf30694ebd18eb70b2b", 135),
    "alexeygrigorev-theory-bold-lines.md":
        ("bf5577f7b8147674e17ebd54d5f529ef6beb08b8b4572b4f41372f3f6d7e7e57", 152),
    "rohanmistry231-pytorch-numbered-list.md":
        ("dc67e84983eade4c3da7619aeda6799933b6a873a6afb99bd1a69945f7946f87", 170),
}


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_public_corpora_pair_counts(name):
    path = SHARED / "benchmarks" / "corpora" / name
    if not path.exists():
        pytest.skip("shared/benchmarks not present")
    data = path.read_bytes()
    sha, pairs = CORPORA[name]
    assert hashlib.sha256(data).hexdigest() == sha
    qs = parse_markdown(data.decode("utf-8"), str(path), skip_unanswered=True)
    assert len(qs) == pairs
    assert all(q.question and q.answer for q in qs)


def test_seed_corpus_has_100_questions_in_9_topics():
    path = SHARED / "corpus" / "pytorch-top100-qa.md"
    if not path.exists():
        pytest.skip("shared/corpus not present")
    qs = parse_markdown(path.read_text(), str(path))
    assert [q.number for q in qs] == [str(i) for i in range(1, 101)]
    assert len({q.topic for q in qs}) == 9
    assert qs[16].question == "What's the difference between view() and reshape()?"
