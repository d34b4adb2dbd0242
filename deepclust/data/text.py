"""Cleaning of documents (HTML, case, stop words), shared by text datasets and text columns."""

from __future__ import annotations

import re

_TAGS = re.compile(r"<[^>]+>")
_WORDS = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def clean_document(text: str, strip_html: bool = True, lowercase: bool = True,
                   stop_words: str | None = "english") -> str:
    """One document with HTML tags (``<br />``) stripped, lowercased and stop words removed."""
    # scikit-learn here, not at the top: the Snakefile imports this module on every start
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    if strip_html:
        text = _TAGS.sub(" ", text)
    if lowercase:
        text = text.lower()
    if stop_words == "english":
        text = " ".join(w for w in _WORDS.findall(text) if w.lower() not in ENGLISH_STOP_WORDS)
    return text


def clean_text(texts, strip_html: bool = True, lowercase: bool = True,
               stop_words: str | None = "english") -> list[str]:
    """:func:`clean_document` of every text."""
    return [clean_document(t, strip_html, lowercase, stop_words) for t in texts]


#: the settings of a dataset's ``text`` section that the vectorizer reads
TEXT_VECTORIZER_KEYS = ("vectorizer", "max_features", "min_df", "max_df", "sublinear_tf", "norm")
