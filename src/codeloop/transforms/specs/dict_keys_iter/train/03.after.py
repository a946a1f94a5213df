missing = [k for k in expected if k not in actual]
