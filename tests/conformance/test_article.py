"""Every sentence of the Session-Based Chat article is quoted by a scenario or feature that checks it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from harness.paths import features_dir

HERE = Path(__file__).parent
ARTICLE = HERE / "article.txt"  # the article's text, kept in the repository so the check runs in every clone


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


def sentences() -> list[str]:
    lines = (HERE / "article_sentences.txt").read_text(encoding="utf-8").splitlines()
    return [_norm(line) for line in lines if line.strip() and not line.startswith("#")]


def quoted() -> set[str]:
    found: set[str] = set()
    for path in features_dir().rglob("*.feature"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("Article:"):
                found.add(_norm(line.removeprefix("Article:")))
    return found


def test_every_sentence_is_checked_by_a_feature() -> None:
    missing = [s for s in sentences() if s not in quoted()]
    assert not missing, "article sentences no feature checks:\n" + "\n".join(missing)


def test_features_quote_only_the_article() -> None:
    unknown = quoted() - set(sentences())
    assert not unknown, "Article: lines that are not sentences of the article:\n" + "\n".join(sorted(unknown))


def test_sentence_list_matches_the_article_text() -> None:
    """The sentence list is exactly the article's sentences, in order, with nothing of the article left out."""
    body = ARTICLE.read_text(encoding="utf-8").split("Set Up Session-Based Chat", 2)[-1]
    text = _norm(body.replace("Checkmark ", "").replace("X icon ", "").replace("•", " "))
    text = re.sub(r"\b\d\. ", "", text)
    for skip in (
        "Required Editions",
        "View supported editions.",
        "Considerations and Limitations",
        "Turn On Session-Based Chat",
    ):
        text = text.replace(skip, " ")
    remaining = _norm(text)
    for sentence in sentences():
        assert sentence in remaining, sentence
        remaining = _norm(remaining.replace(sentence, " "))
    assert remaining == "", f"article text not in the list: {remaining!r}"


def test_the_article_check_catches_a_changed_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    changed = tmp_path / "article.txt"
    changed.write_text(ARTICLE.read_text(encoding="utf-8").replace("read-only", "read only"), encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ARTICLE", changed)
    with pytest.raises(AssertionError):
        test_sentence_list_matches_the_article_text()
