for i in range(n):
    temp = xs[i]
    xs[i] = ys[i]
    ys[i] = temp
