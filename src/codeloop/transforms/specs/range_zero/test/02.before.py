for row in range(0, height):
    for col in range(0, width):
        draw(row, col)
