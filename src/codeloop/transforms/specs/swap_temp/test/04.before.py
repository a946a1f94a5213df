tmp = a
a = b
b = tmp + 1
