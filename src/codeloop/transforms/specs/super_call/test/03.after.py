class C(B):
    def setup(self):
        super().setup()
        super().configure(debug=True)
