def lookup(table, k):
    result = table.get(k, "?")
    return result
