"""Reply and inline keyboards; texts are translated where the keyboard is built."""
