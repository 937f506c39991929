"""Flight software of the storage/compute payload: runtime, HAL, PUS services, storage, jobs."""
