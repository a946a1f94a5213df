"""English sentences for the miniature: WordNet's glosses and example sentences (Debian's
``wordnet-base``: 117,659 glosses, 48,339 examples), cut to a restricted vocabulary.

A small model learns a word in both modalities only if it sees it many times in each, so the
corpus keeps the sentences whose words all lie in the ``vocabulary`` most frequent words (1,500 by
default), 4 to 12 words long; words are lowercase letters only (what ``synth`` speaks).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
PARTS = ("noun", "verb", "adj", "adv")
_WORD = re.compile(r"[a-z]+")


def wordnet_texts(folder: Path = WORDNET) -> list[str]:
    """Every gloss and example sentence, in file order."""
    files = [folder / f"data.{part}" for part in PARTS]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"{missing[0]}: not found (apt-get install wordnet-base, or run scripts/setup.sh)")
    texts = []
    for path in files:
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith("  ") or " | " not in line:  # the licence header
                continue
            gloss = line.split(" | ", 1)[1]
            texts += [part.strip(' ;"') for part in gloss.split(";")]
    return [text for text in texts if text]


def sentences(texts: list[str], vocabulary: int = 1500, shortest: int = 4, longest: int = 12) -> list[list[str]]:
    """The texts as word lists, kept when every word is one of the ``vocabulary`` most frequent."""
    tokenised = [_WORD.findall(text.lower()) for text in texts]
    counts = Counter(word for words in tokenised for word in words)
    allowed = {word for word, _ in counts.most_common(vocabulary)}
    seen, kept = set(), []
    for words in tokenised:
        key = " ".join(words)
        if shortest <= len(words) <= longest and all(word in allowed for word in words) and key not in seen:
            seen.add(key)
            kept.append(words)
    return kept


def known_words(folder: Path = WORDNET) -> set[str]:
    """Every word WordNet lists (its index) or uses (its glosses): what a non-word must not be."""
    known = {word for text in wordnet_texts(folder) for word in _WORD.findall(text.lower())}
    for part in PARTS:
        for line in (folder / f"index.{part}").read_text(encoding="latin-1").splitlines():
            if not line.startswith(" "):
                known.add(line.split(" ", 1)[0])
    return known
