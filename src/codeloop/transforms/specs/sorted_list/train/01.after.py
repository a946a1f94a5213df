names = sorted(people)
