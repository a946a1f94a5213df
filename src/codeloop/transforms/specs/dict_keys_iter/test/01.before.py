def dump(d):
    for k in d.keys():
        print(k, d[k])
