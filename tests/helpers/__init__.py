"""Helpers shared by test modules (servers, clients, example runs); no tests here."""
