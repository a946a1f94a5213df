from textkit import truncate


def test_truncate_short_text_unchanged():
    assert truncate("abc", 5) == "abc"


def test_truncate_exact_width_unchanged():
    assert truncate("abcde", 5) == "abcde"


def test_truncate_fits_width():
    assert truncate("abcdefgh", 5) == "ab..."
