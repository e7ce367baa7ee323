"""Targets that boot through firmware on QEMU (EDK2 UEFI, U-Boot) and their helpers: ESP image, U-Boot environment, key relay."""
