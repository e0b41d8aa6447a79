"""`meco inspect`: what a prepared folder holds (report.py), and its command (cli.py)."""
