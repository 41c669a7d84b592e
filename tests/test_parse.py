"""The markdown parser reads the common shapes of interview Q&A files."""

from __future__ import annotations

import hashlib
import textwrap

import pytest

from interviewer.errors import InputError
from interviewer.knowledge.parse import parse_markdown

from conftest import REPO, SHARED


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


# ------------------------------------------------------------ shapes from the wild


def test_markdown_table_by_header_with_topic_and_code_cells():
    text = md("""
        ## Tensors

        | # | Question | Answer |
        |---|----------|--------|
        | 1 | What does `view()` need? | Contiguous memory.<br>Else use `reshape()`. |
        | 2 | Why `torch.no_grad()`? | It skips building the graph. |

        | Op | Copies? |
        |----|---------|
        | view | no |
        """)
    qs = parse_markdown(text)
    assert [(q.question, q.topic, q.line) for q in qs] == [
        ("What does `view()` need?", "Tensors", 5), ("Why `torch.no_grad()`?", "Tensors", 6)]
    assert qs[0].answer == "Contiguous memory.\nElse use `reshape()`."


def test_markdown_table_columns_found_by_content():
    text = md("""
        | Topic | Prompt text | Notes |
        |---|---|---|
        | autograd | What is a leaf tensor? | A tensor the user created, not produced by an op. |
        | optim | Why zero the gradients? | Because backward() accumulates into .grad. |
        """)
    qs = parse_markdown(text)
    assert [q.question for q in qs] == ["What is a leaf tensor?", "Why zero the gradients?"]
    assert qs[1].answer == "Because backward() accumulates into .grad."


def test_html_table_wiki_export_with_blank_lines_and_pre():
    text = md("""
        <h1>Interview bank</h1>
        <table class="wikitable">
          <tr><th>Question</th><th>Answer</th></tr>

          <tr><td>What is <b>dropout</b>?</td>
              <td><p>It zeroes activations at random.</p><p>Off in <code>eval()</code>.</p></td></tr>
          <tr><td>Show a training step</td>
              <td>Like this:<pre>loss.backward()
        opt.step()</pre></td></tr>
        </table>
        """)
    qs = parse_markdown(text, "bank.html")
    assert [q.question for q in qs] == ["What is dropout?", "Show a training step"]
    assert qs[0].answer == "It zeroes activations at random.\n\nOff in `eval()`." and qs[0].line == 5
    assert "```\nloss.backward()\nopt.step()\n```" in qs[1].answer


def test_notice_table_is_not_a_question_table():
    text = md("""
        <table><tr><td>⚠️ This list is a work in progress.</td></tr></table>

        **What is overfitting?**

        Fitting noise in the training set.
        """)
    assert [q.question for q in parse_markdown(text)] == ["What is overfitting?"]


def test_answers_with_their_own_sub_headings():
    text = md("""
        # Deep learning interview

        ## 1. Explain backpropagation

        ### Intuition
        The chain rule applied from the loss backwards.

        #### What is stored?
        Activations from the forward pass.

        ## 2. Explain batch normalization

        ### Formula
        Normalise, then scale and shift.

        ## References
        Some links.
        """)
    qs = parse_markdown(text)
    assert [(q.number, q.question) for q in qs] == [("1", "Explain backpropagation"),
                                                    ("2", "Explain batch normalization")]
    assert "### Intuition" in qs[0].answer and "#### What is stored?" in qs[0].answer
    assert "Activations from the forward pass." in qs[0].answer
    assert "Some links" not in qs[1].answer


def test_numbered_headings_without_question_marks_under_topics():
    text = md("""
        # PyTorch
        ## Autograd
        ### Q1. Describe requires_grad
        It marks tensors whose gradients autograd records.
        ### Q2) Describe detach
        It returns a tensor cut off from the graph.
        ## Data
        ### 3. Describe a DataLoader
        It batches and shuffles a Dataset.
        """)
    qs = parse_markdown(text)
    assert [(q.number, q.topic, q.question) for q in qs] == [
        ("1", "Autograd", "Describe requires_grad"), ("2", "Autograd", "Describe detach"),
        ("3", "Data", "Describe a DataLoader")]


def test_details_inside_lists_with_question_or_label_summaries():
    text = md("""
        ## Basics

        1. What is a tensor?
           <details><summary>Answer</summary>

           An n-dimensional array.
           </details>

        - <details><summary>What does .to("cuda") do?</summary>

          It moves the tensor to the GPU.
          </details>
        """)
    qs = parse_markdown(text)
    assert [(q.question, q.answer, q.line) for q in qs] == [
        ("What is a tensor?", "An n-dimensional array.", 3),
        ('What does .to("cuda") do?', "It moves the tensor to the GPU.", 9)]


def test_front_matter_names_the_topic_and_is_not_a_question():
    text = md("""
        ---
        title: Optimisers
        tags: [adam, sgd]
        ---
        ## What does Adam keep per parameter?
        Running means of the gradient and its square.
        """)
    (q,) = parse_markdown(text, "notes.md")
    assert (q.topic, q.question, q.line) == ("Optimisers", "What does Adam keep per parameter?", 5)


def test_empty_table_answer_is_reported_with_its_line():
    text = "| Question | Answer |\n|---|---|\n| What is SGD? | Stochastic descent. |\n| What is Adam? |  |\n"
    with pytest.raises(InputError, match=r"bank\.md:4: question 'What is Adam\?' has no answer"):
        parse_markdown(text, "bank.md")
    assert len(parse_markdown(text, "bank.md", skip_unanswered=True)) == 1


def test_file_without_pairs_names_the_file(tmp_path):
    from interviewer.knowledge import load_questions

    f = tmp_path / "shopping.html"
    f.write_text("<table><tr><th>Item</th><th>Price</th></tr><tr><td>tea</td><td>2</td></tr></table>")
    with pytest.raises(InputError, match=r"shopping\.html: no questions found"):
        load_questions([f])


def test_bold_labels_inside_answers_do_not_outvote_question_headings():
    text = md("""
        ## What is weight decay?
        **Definition**

        An L2 penalty on the weights.

        **Example**

        ```python
        # AdamW decouples it
        opt = torch.optim.AdamW(params, weight_decay=0.01)
        ```
        ## Why warm up the learning rate?
        **Reason**

        Early updates are noisy.
        """)
    qs = parse_markdown(text)
    assert [q.question for q in qs] == ["What is weight decay?", "Why warm up the learning rate?"]
    assert "**Example**" in qs[0].answer and "# AdamW decouples it" in qs[0].answer


def test_bold_labels_and_html_headings():
    labelled = md("""
        ## Fundamentals
        ### Q: What is the bias-variance trade-off?

        **A**: Simple models underfit, complex ones overfit.

        ### Q: What is regularisation?
        **Answer:** A penalty on model complexity.
        """)
    qs = parse_markdown(labelled)
    assert [(q.question, q.answer) for q in qs] == [
        ("What is the bias-variance trade-off?", "Simple models underfit, complex ones overfit."),
        ("What is regularisation?", "A penalty on model complexity.")]
    html_headed = md("""
        **<h2>ML QUESTIONS</h2>**

        <h3>1. What do you understand by machine learning ?</h3>

        Potential answer: learning rules from data.

        <h3>2. What is supervised learning ?

        Learning from labelled data.
        """)
    qs = parse_markdown(html_headed)
    assert [(q.number, q.question, q.topic) for q in qs] == [
        ("1", "What do you understand by machine learning ?", "ML QUESTIONS"),
        ("2", "What is supervised learning ?", "ML QUESTIONS")]
    assert qs[1].answer == "Learning from labelled data."


def test_numbered_items_with_escaped_bold():
    text = md("""
        1. **What is PCA?**
           A projection onto the directions of largest variance.

        2. \\*\\*Explain bias vs variance.\\*\\*
           Too simple a model underfits; too flexible a one overfits.
        """)
    qs = parse_markdown(text)
    assert [(q.number, q.question) for q in qs] == [("1", "What is PCA?"),
                                                    ("2", "Explain bias vs variance.")]
    assert qs[0].answer == "A projection onto the directions of largest variance."


def test_load_reports_skipped_questions_and_renumbers_repeated_numbers(tmp_path):
    from interviewer.knowledge import load_questions

    f = tmp_path / "My Bank (v2).md"
    f.write_text(md("""
        ## Basics
        1. **What is a tensor?**
           An n-dimensional array.
        2. **What is a leaf?**
           Answer here
        ## Advanced
        1. **What is a graph break?**
           Where torch.compile falls back to eager.
        """))
    skipped: list[str] = []
    qs = load_questions([f], skip_unanswered=True, skipped=skipped)
    assert [q.id for q in qs] == ["My-Bank-v2-1", "My-Bank-v2-2"]  # "1." twice: by position
    assert skipped == [f"{f}:4: question 'What is a leaf?' has only 'Answer here'"]
    with pytest.raises(InputError, match=r"\(v2\)\.md:4: question 'What is a leaf\?' has no answer"):
        load_questions([f])


def test_question_headings_with_labels_sub_sections_and_tables_inside_answers():
    text = md("""
        # Deep learning theory

        ## Question 1: What is an artificial neural network?

        ### Definition
        Layers of weighted sums followed by non-linear activations.

        ### Parts

        | Component | Description |
        |-----------|-------------|
        | Weights | learnable parameters |

        ## Question 2: Why use non-linear activations?

        **Answer:** Without them the layers collapse into one linear map.

        **Key points:**
        - depth needs non-linearity
        """)
    qs = parse_markdown(text)
    assert [(q.number, q.question, q.topic) for q in qs] == [
        ("1", "What is an artificial neural network?", "Deep learning theory"),
        ("2", "Why use non-linear activations?", "Deep learning theory")]
    assert "| Weights | learnable parameters |" in qs[0].answer and "### Parts" in qs[0].answer
    assert qs[1].answer.startswith("Without them the layers collapse")
    assert "**Key points:**" in qs[1].answer


def test_dotted_numbers_and_numbered_topic_headings():
    text = md("""
        ## 1. Neural network basics

        ### Q1.1: What does a neuron compute?

        **Answer:**
        A weighted sum of its inputs passed through an activation.

        ### Q1.2: What is a hidden layer?

        **Answer:** A layer between the input and the output.
        """)
    qs = parse_markdown(text)
    assert [(q.number, q.question, q.topic) for q in qs] == [
        ("1.1", "What does a neuron compute?", "Neural network basics"),
        ("1.2", "What is a hidden layer?", "Neural network basics")]
    assert qs[0].answer == "A weighted sum of its inputs passed through an activation."


@pytest.mark.parametrize("placeholder", ["*solution*", "**Answer:** _[To be filled]_", "TODO.",
                                         "…"])
def test_placeholder_answers_are_unanswered(placeholder):
    text = f"## Question 1\n\n**What is a tensor?**\n\n{placeholder}\n\n---\n\n" \
           "## Question 2\n\n**What is a leaf tensor?**\n\nOne created by the user.\n"
    qs = parse_markdown(text, skip_unanswered=True)
    assert [(q.question, q.topic) for q in qs] == [("What is a leaf tensor?", "General")]
    with pytest.raises(InputError, match=r":3: question 'What is a tensor\?' has no answer"):
        parse_markdown(text)


def test_labelled_answers_keep_their_sub_headings():
    text = md("""
        ## Optimisers
        ### Q: What does Adam keep per parameter?
        **A**: Running means of the gradient and of its square.
        #### Example
        `torch.optim.Adam(model.parameters(), lr=3e-4)`
        ### Q: Why warm up?
        **A**: Early steps are noisy.
        ## Data
        ### Q: What does a sampler do?
        **A**: It yields dataset indices.
        """)
    qs = parse_markdown(text)
    assert [(q.question, q.topic) for q in qs] == [
        ("What does Adam keep per parameter?", "Optimisers"), ("Why warm up?", "Optimisers"),
        ("What does a sampler do?", "Data")]
    assert "#### Example" in qs[0].answer and "lr=3e-4" in qs[0].answer


def test_html_table_with_row_headers_and_tbody():
    text = md("""
        <table>
          <thead><tr><th>Q</th><th>A</th></tr></thead>
          <tbody>
            <tr><th>What is a tensor?</th><td>An n-dimensional array.</td></tr>
            <tr><th>What is a module?</th><td>A layer with parameters.</td></tr>
          </tbody>
        </table>
        """)
    qs = parse_markdown(text, "export.html")
    assert [(q.question, q.answer) for q in qs] == [
        ("What is a tensor?", "An n-dimensional array."),
        ("What is a module?", "A layer with parameters.")]


def test_nested_details_stay_inside_their_answer():
    text = md("""
        ### What does zero_grad() do?
        <details><summary>Answer</summary>

        It resets `.grad` before the next backward pass.
        <details><summary>Hint</summary>gradients accumulate</details>
        </details>

        ### Why call model.eval()?
        <details><summary>Answer</summary>
        Dropout and batch norm switch to inference behaviour.
        </details>
        """)
    qs = parse_markdown(text)
    assert [q.question for q in qs] == ["What does zero_grad() do?", "Why call model.eval()?"]
    assert "gradients accumulate" in qs[0].answer and "Hint" not in qs[0].answer


def test_the_whole_knowledge_folder_loads_only_its_questions():
    """Follow-up rubrics, exercises, graded examples and the errata list sit beside the
    question files; loading the folder reads the questions alone."""
    from interviewer.knowledge import load_questions

    questions = load_questions([REPO / "knowledge"])
    assert len(questions) == 100 and {q.id for q in questions} == {f"Q{i}" for i in range(1, 101)}
