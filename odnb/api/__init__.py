"""Talking to Open Dental: profiles and keys, the transport (cache, pacing, retries), the client that turns
answers into typed frames, the resource catalogue, errors, enums, and the doctor.

Nothing is imported here, so ``import odnb.api.errors`` stays cheap.
"""
