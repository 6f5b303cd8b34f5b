"""Framework-bound snnTorch APIs on torch: monitors, STDP, training loops, dataset helpers."""
