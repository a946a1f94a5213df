class View(Parent):
    def get(self, request):
        return super().get(request)
