def build(items):
    result, seen = dict(), set()
    return result, seen
