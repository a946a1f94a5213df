from textkit import slugify


def test_slugify_lowercases():
    assert slugify("Hello") == "hello"


def test_slugify_joins_words():
    assert slugify("hello world") == "hello-world"


def test_slugify_strips_edges():
    assert slugify("  hello ") == "hello"
