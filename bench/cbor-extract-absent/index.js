throw new Error("cbor-extract is not installed here: cbor-x uses its JavaScript decoder")
