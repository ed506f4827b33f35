"""Storage: SQLModel tables over SQLite, migrations, and one service module per aggregate."""
