def dump(d):
    for k in d:
        print(k, d[k])
