if user in scores:
    score = scores[user]
else:
    score = 0
