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
    # No columns= argument: with it, pandas 1.5 first turns every column into an object array.
    return pd.DataFrame(data, index=index, copy=False)


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


def feature_times(frame):
    """The "<set>.ts" columns of a point-in-time join (epoch ms) as UTC timestamps."""
    import pandas as pd

    for name in frame.columns:
        if name.endswith(".ts"):
            frame[name] = pd.to_datetime(frame[name].astype("float64"), unit="ms", utc=True)
    return frame


def columns_from_frame(frame):
    """Column tuples (name, kind, values, mask) for upload_feature: `ts` from a column or the
    index (datetimes as epoch ms, naive = UTC; ints as epoch ms), then every column by dtype.
    Vectorised per column."""
    import numpy as np
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame or a path, not {type(frame).__name__}")
    if "ts" not in frame.columns:
        if frame.index.name != "ts":
            raise ValueError("data has no ts column and its index is not named ts")
        frame = frame.reset_index()
    out = []
    for name in frame.columns:
        series = frame[name]
        if not isinstance(name, str):
            raise TypeError(f"column names must be str, not {type(name).__name__}")
        if name == "ts" and pd.api.types.is_datetime64_any_dtype(series.dtype):
            if getattr(series.dt, "tz", None) is None:
                series = series.dt.tz_localize("UTC")
            nat = series.isna().to_numpy()
            values = (series.dt.tz_convert("UTC").dt.tz_localize(None)
                      .to_numpy(dtype="datetime64[ms]").astype("int64"))
            out.append((name, "int64", values, nat))
            continue
        dtype = series.dtype
        if pd.api.types.is_bool_dtype(dtype):
            mask = series.isna().to_numpy()
            out.append((name, "bool", series.fillna(False).to_numpy(dtype="bool"), mask))
        elif pd.api.types.is_integer_dtype(dtype):
            mask = series.isna().to_numpy()
            out.append((name, "int64", series.fillna(0).to_numpy(dtype="int64"), mask))
        elif pd.api.types.is_float_dtype(dtype):
            out.append((name, "float64", series.to_numpy(dtype="float64", na_value=np.nan), None))
        else:
            values = series.astype(object).where(series.notna(), None).to_numpy(dtype=object)
            out.append((name, "string", values, None))
    return out
