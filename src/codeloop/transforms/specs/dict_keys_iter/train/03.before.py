missing = [k for k in expected.keys() if k not in actual.keys()]
