"""Uploaded media: checking what a file really is, cleaning images with Pillow, storing the files.

`uploads` is the use case the API calls; `images` and `av` look at bytes and know nothing of HTTP
or the database; `storage` keeps the files.
"""
