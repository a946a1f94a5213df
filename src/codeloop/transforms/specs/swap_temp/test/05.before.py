tmp = a
a = b
c = tmp
