from intervals import merge, total_length


def test_merge_disjoint():
    assert merge([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_merge_overlapping():
    assert merge([(1, 4), (2, 6)]) == [(1, 6)]


def test_total_length_disjoint():
    assert total_length([(0, 2), (5, 6)]) == 3


def test_total_length_overlapping():
    assert total_length([(0, 4), (2, 6)]) == 6
