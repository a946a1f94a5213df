def describe(x):
    if type(x) == list:
        return "list"
    return "other"
