"""docs/RULES.md stays honest: every rule R1-R33 once with a score and, below 5, a reason; every
file, function and test it names exists; every rule number the code cites is one of these; the
summary line counts the scores; and the README points to it with the same range."""
from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "RULES.md"
RULES = range(1, 34)
HEADING = re.compile(r"^## R(\d+) .+: score (\d)$", re.MULTILINE)
NAMED = re.compile(r"`([\w/.-]+\.(?:py|yml|html))(?:::(\w+))?`")
CITED = re.compile(r"\bR(\d+)\b")


def sections() -> dict[int, str]:
    text = DOC.read_text(encoding="utf-8")
    starts = [(int(m.group(1)), m.start()) for m in HEADING.finditer(text)]
    return {rule: text[start:(starts[i + 1][1] if i + 1 < len(starts) else len(text))]
            for i, (rule, start) in enumerate(starts)}


def defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def test_every_rule_once_with_a_score_and_a_reason_below_five():
    text = DOC.read_text(encoding="utf-8")
    numbers = [int(m.group(1)) for m in HEADING.finditer(text)]
    assert numbers == list(RULES)
    for rule, body in sections().items():
        score = int(HEADING.search(body).group(2))
        assert 1 <= score <= 5, rule
        assert "- Does:" in body and "- Where:" in body and "- Proven by:" in body, rule
        assert ("- Below 5 because:" in body) == (score < 5), rule


def test_the_summary_counts_the_scores():
    text = DOC.read_text(encoding="utf-8")
    scores = Counter(int(m.group(2)) for m in HEADING.finditer(text))
    parts = [f"{scores[s]} at {s}" for s in (5, 4, 3, 2, 1) if scores[s]]
    assert f"Summary: {parts[0].replace(' at ', ' rules at ')}, {', '.join(parts[1:])}." in text


def test_every_named_file_function_and_test_exists():
    for rule, body in sections().items():
        proven = body[body.index("- Proven by:"):]
        proven = proven[:proven.index("\n- ", 1)] if "\n- " in proven[1:] else proven
        assert NAMED.search(proven), f"R{rule} names no test"
        for path, name in NAMED.findall(body):
            file = ROOT / path
            assert file.is_file(), f"R{rule}: {path} does not exist"
            if name and path.endswith(".py"):
                assert name in defined_names(file), f"R{rule}: {path} has no {name}"
        for path, name in NAMED.findall(proven):
            assert path.startswith("tests/") and name.startswith("test_"), f"R{rule}: {path}::{name} is no test"


def test_every_rule_number_the_code_cites_is_in_the_document():
    cited = set()
    for folder in ("bot", "actions", "data", "domain", "tests"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".yml", ".html") and path.is_file():
                cited |= {int(n) for n in CITED.findall(path.read_text(encoding="utf-8", errors="ignore"))}
    assert cited and cited <= set(sections())


def test_the_readme_claims_the_same_rules_and_points_here():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "R1 to R33" in readme and "docs/RULES.md" in readme
    assert "R1 to R23" not in readme
