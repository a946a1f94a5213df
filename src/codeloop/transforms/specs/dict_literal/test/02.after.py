def build(items):
    result, seen = {}, set()
    return result, seen
