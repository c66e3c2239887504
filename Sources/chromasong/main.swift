print("chromasong")
