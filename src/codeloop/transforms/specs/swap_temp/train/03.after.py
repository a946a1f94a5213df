print(left, right)
left, right = right, left
print(left, right)
