class B(A):
    def run(self, x):
        y = super().run(x)
        return y + 1
