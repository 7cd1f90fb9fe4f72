from samgak.cli import app

app()
