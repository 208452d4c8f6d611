"""A trained classifier for the open cause answer (R7, issue 22 §3), beside the lexicon.

The lexicon (causes.yml) knows words; customers say the same thing in words it has never seen
("de zaak van mijn baas is dicht", "mijn vriend verdient niks meer"). This model learns the causes
from the examples in data/causes/examples.yml: TF-IDF over character n-grams (typos, Dutch
compounds) and words, and a logistic regression. It is fitted in well under a second when the
action server first needs it, from data in the repository, so the deployed model is always the one
the data describes (no pickled file to go stale).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.language import normalise

EXAMPLES_PATH = Path(__file__).resolve().parents[2] / "data" / "causes" / "examples.yml"


def load_examples(path: Path = EXAMPLES_PATH) -> tuple[list[str], list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts, labels = [], []
    for cause, sentences in (data.get("cause_examples") or {}).items():
        for sentence in sentences or ():
            texts.append(str(sentence))
            labels.append(str(cause))
    return texts, labels


def build_pipeline(regularisation: float) -> Pipeline:
    features = FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                  preprocessor=normalise)),
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                  preprocessor=normalise, token_pattern=r"(?u)\b\w+\b")),
    ])
    # Seeded and single-threaded: the same data gives the same model on every machine.
    classifier = LogisticRegression(C=regularisation, max_iter=2000, class_weight="balanced",
                                    random_state=0)
    return Pipeline([("features", features), ("classifier", classifier)])


@lru_cache(maxsize=4)
def fitted(regularisation: float) -> Pipeline:
    texts, labels = load_examples()
    return build_pipeline(regularisation).fit(texts, labels)


def probabilities(text: str, regularisation: float) -> dict[str, float]:
    """Probability per cause (including 'other') for one answer."""
    model = fitted(regularisation)
    return dict(zip(model.classes_, (float(p) for p in model.predict_proba([text])[0])))
