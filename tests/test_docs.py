"""The documentation: a short README, an index that links every page, links that resolve, and a
CLI reference that is the parser's own (as uv checks its CLI reference)."""

from __future__ import annotations

import re
from pathlib import Path

from codeloop.cli.reference import reference

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_readme_is_short_and_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) < 150
    assert lines[2:6] == ["```bash", lines[3], "bash scripts/test.sh", "```"]
    assert lines[3].startswith("bash scripts/setup.sh && ")


def test_the_index_links_every_page():
    index = (ROOT / "docs" / "index.md").read_text()
    linked = {target.split("#")[0] for target in LINK.findall(index)}
    assert {page.name for page in PAGES} - {"index.md"} <= linked


def test_every_relative_link_resolves():
    broken = []
    for page in [ROOT / "README.md", *PAGES, *ROOT.glob("src/codeloop/**/README.md")]:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists() or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_the_docs_describe_the_present():
    """History lives in git: no page tells which session or round of work did what (a "session"
    of the sandbox, a live Python process, is a thing codeloop has, not history)."""
    narration = re.compile(r"\b((this|that|previous|earlier|last|next) (work )?(sessions?|rounds?)"
                           r"|(?<!-)(sessions?|rounds?) \d+|an earlier version)\b", re.IGNORECASE)
    found = [f"{page.name}: {match.group(0)}" for page in [ROOT / "README.md", *PAGES]
             for match in narration.finditer(page.read_text())]
    assert found == []


def test_the_cli_reference_is_current():
    current = (ROOT / "docs" / "cli.md").read_text()
    assert current == reference(), "docs/cli.md is stale: run `python -m codeloop.cli.reference --write`"


def test_the_cli_reference_has_every_command_and_the_config_flag():
    text = reference()
    for heading in ("## codeloop", "### codeloop eval", "#### codeloop rl train", "#### codeloop train dfm",
                    "#### codeloop transform compare", "#### codeloop compiler compare"):
        assert f"\n{heading}\n" in text, heading
    assert text.count("| `--config FILE.toml` |") == 5  # eval, grid, rl train, train lm, train dfm
