"""The mail jobs: welcome, password reset and address verification, rendered and sent by SMTP."""
