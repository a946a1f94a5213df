def lookup(table, k):
    if k in table:
        result = table[k]
    else:
        result = "?"
    return result
