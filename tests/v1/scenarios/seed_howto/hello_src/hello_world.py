# hello_world.py of the seed how-to's reuse example (allow_reuse=False, hash_paths=['hello_world.ipynb']).
print("Hello World")
