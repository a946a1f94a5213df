tmp = a
a = b
b = tmp
