"""pandas DataFrames from what the compiled module returns, column by column, never row by row.

pandas and numpy are imported on first use, so that `import dlake` needs neither.

Rows come as column tuples (name, kind, values, mask) whose numpy arrays own the library's
buffers (python/src/batch_arrays.h). Listings come as the library's JSON records.
"""

import warnings

# Fields of the JSON forms that hold epoch milliseconds (doc/json.md); DataFrames show them as
# UTC timestamps.
_TIME_FIELDS = ("time_from", "time_to", "listing_time")

_JSON_DTYPES = {bool: "bool", int: "int64", float: "float64", str: "object"}


def _utc_index(values, name):
    """A UTC DatetimeIndex over datetime64[ns] values, without copying them where pandas can."""
    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            array = pd.arrays.DatetimeArray(values, dtype=pd.DatetimeTZDtype(tz="UTC"), copy=False)
    except (AttributeError, TypeError, ValueError):
        return pd.DatetimeIndex(values, name=name).tz_localize("UTC")
    return pd.DatetimeIndex(array, name=name, copy=False)


def frame_from_columns(columns, index_name=None):
    """A DataFrame from column tuples; the "timestamp" column (if any) becomes the index.

    int64 columns become pandas' nullable Int64 (NULL = <NA>), bool columns nullable boolean,
    float64 columns float64 (NULL = NaN), strings object (NULL = None). Without a timestamp
    column the index is a RangeIndex, except that `index_name` asks for an empty UTC
    DatetimeIndex of that name when the library returned no columns at all.
    """
    import pandas as pd

    data = {}
    index = None
    for name, kind, values, mask in columns:
        if kind == "timestamp":
            index = _utc_index(values, name)
        elif kind == "int64":
            data[name] = pd.arrays.IntegerArray(values, mask)
        elif kind == "bool":
            data[name] = pd.arrays.BooleanArray(values, mask)
        else:
            data[name] = values
    if index is None and index_name is not None and not columns:
        import numpy as np

        index = _utc_index(np.empty(0, dtype="M8[ns]"), index_name)
    return pd.DataFrame(data, index=index, columns=list(data), copy=False)


def frame_from_records(records, template):
    """A DataFrame of JSON records whose columns and dtypes are those of `template` (one record
    of the same kind with default values), also when there are no records. Time fields become
    UTC timestamps."""
    import pandas as pd

    dtypes = {key: _JSON_DTYPES.get(type(value), "object") for key, value in template.items()}
    frame = pd.DataFrame.from_records(records, columns=list(dtypes)) if records else \
        pd.DataFrame({key: pd.Series(dtype=dtype) for key, dtype in dtypes.items()})
    frame = frame.astype(dtypes)
    for field in _TIME_FIELDS:
        if field in frame.columns:
            frame[field] = pd.to_datetime(frame[field], unit="ms", utc=True)
    return frame
