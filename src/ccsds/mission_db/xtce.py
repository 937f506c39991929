"""XTCE 1.2 export of a mission database (CCSDS 660.0-B-2 / OMG XTCE 1.2, xml.etree).

TelemetryMetaData: one parameter type per parameter (units, polynomial calibrator, static
alarm ranges), the PUS-C TM headers of the ICD (docs/icd.md 4: space packet primary header,
PUS version 2, time reference status, service, subtype, message counter, destination id,
CUC 4+2 time on the 1958 TAI epoch) in an abstract container tree
``CCSDSPacket`` -> ``PUS_TM`` (APID) -> ``PUS_HK_REPORT`` (service 3, subtype 25) -> one
container per housekeeping structure (restricted on its id); likewise
``PUS_EVENT_REPORT`` (service 5) -> one container per event and ``PUS_PARAMETER_REPORT``
(20,2 with N = 1) -> one container per parameter. Every leaf ends with the
packet error control field (CRC-16/CCITT-FALSE, ECSS-E-ST-70-41C 7.4.4.1).

CommandMetaData: an abstract ``PUS_TC`` MetaCommand for the primary header and PUS-C TC
secondary header, one MetaCommand per command with its arguments and valid ranges. The
sequence count, packet length and trailing PEC are filled in by the uplink (a YAMCS
``PusCommandPostprocessor`` does the same), so the containers stop before the PEC.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from ccsds.errors import LocalProtocolError
from ccsds.mission_db.model import IDENTITY, Command, Field, MissionDatabase, Parameter
from ccsds.pus_types import LENGTH_PREFIX, Ptc

NAMESPACE = "http://www.omg.org/spec/XTCE/20180204"
SCHEMA_LOCATION = "https://www.omg.org/spec/XTCE/20180204/SpaceSystem.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("xtce", NAMESPACE)
ET.register_namespace("xsi", _XSI)

CUC_FINE_SCALE = 2.0 ** -16
"""Seconds per count of a CUC 4+2 time read as one 48-bit integer."""
PEC_PARAMETER = "PUS_PEC"
STRUCTURE_ID_PARAMETER = "HK_STRUCTURE_ID"
EVENT_ID_PARAMETER = "EVENT_ID"
PARAMETER_COUNT = "PARAMETER_COUNT"
PARAMETER_ID = "PARAMETER_ID"

# (name, bits) of the header fields: primary header (133.0-B-2 4.1.3), TM secondary header
_PRIMARY_HEADER = (("CCSDS_VERSION", 3), ("CCSDS_TYPE", 1), ("CCSDS_SEC_HDR_FLAG", 1),
                   ("CCSDS_APID", 11), ("CCSDS_SEQ_FLAGS", 2), ("CCSDS_SEQ_COUNT", 14),
                   ("CCSDS_LENGTH", 16))
_TM_SECONDARY_HEADER = (("PUS_VERSION", 4), ("PUS_TIME_REF_STATUS", 4), ("PUS_SERVICE", 8),
                        ("PUS_SUBTYPE", 8), ("PUS_MSG_COUNTER", 16), ("PUS_DESTINATION_ID", 16))
_TIME_PARAMETER = "PUS_TIME"


def _el(parent: ET.Element, tag: str, *text: str, **attrib: object) -> ET.Element:
    """Append a namespaced child element (attribute values converted with str)."""
    child = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}",
                          {key: _text(value) for key, value in attrib.items()})
    if text:
        child.text = text[0]
    return child


def _text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


def _length_name(name: str) -> str:
    """The uint16 octet count in front of a variable-size string (see ccsds.pus_types)."""
    return f"{name}_LENGTH"


def _tm_field_name(owner: str, item: Field) -> str:
    """Telemetry name of an event data field: XTCE names are flat within a SpaceSystem."""
    return f"{owner}__{item.name}"


class _Writer:
    """Builds the element tree; one method per XTCE construct."""

    def __init__(self, db: MissionDatabase) -> None:
        self.db = db
        self.root = ET.Element(f"{{{NAMESPACE}}}SpaceSystem", {
            "name": db.name, f"{{{_XSI}}}schemaLocation": f"{NAMESPACE} {SCHEMA_LOCATION}"})
        _el(self.root, "Header", version=db.version, validationStatus="Working")
        telemetry = _el(self.root, "TelemetryMetaData")
        self.tm_types = _el(telemetry, "ParameterTypeSet")
        self.tm_parameters = _el(telemetry, "ParameterSet")
        self.containers = _el(telemetry, "ContainerSet")
        commanding = _el(self.root, "CommandMetaData")
        self.arg_types = _el(commanding, "ArgumentTypeSet")
        self.meta_commands = _el(commanding, "MetaCommandSet")

    # -- types -------------------------------------------------------------------------

    def _integer_encoding(self, parent: ET.Element, bits: int, signed: bool = False,
                          calibration: tuple[float, ...] = IDENTITY) -> None:
        encoding = _el(parent, "IntegerDataEncoding", sizeInBits=bits,
                       encoding="twosComplement" if signed else "unsigned")
        if calibration != IDENTITY:
            polynomial = _el(_el(encoding, "DefaultCalibrator"), "PolynomialCalibrator")
            for exponent, coefficient in enumerate(calibration):
                _el(polynomial, "Term", coefficient=float(coefficient), exponent=exponent)

    def _unit(self, parent: ET.Element, unit: str) -> None:
        units = _el(parent, "UnitSet")
        if unit:
            _el(units, "Unit", unit)

    def data_type(self, type_set: ET.Element, kind: str, type_name: str, item: Field,
                  length_ref: str | None = None) -> None:
        """A ``{Integer,Float,...}{kind}Type`` (kind "Parameter" or "Argument") for ``item``.

        ``length_ref`` names the length field (octets) of a variable-size type.
        """
        pus_type = item.pus_type
        ptc = pus_type.ptc
        calibration = item.calibration if isinstance(item, Parameter) else IDENTITY
        description = item.description
        if ptc == Ptc.BOOLEAN:
            element = _el(type_set, f"Boolean{kind}Type", name=type_name)
            self._describe(element, description)
            self._unit(element, item.unit)
            self._integer_encoding(element, 8)
        elif item.enumeration:
            element = _el(type_set, f"Enumerated{kind}Type", name=type_name)
            self._describe(element, description)
            self._unit(element, item.unit)
            self._integer_encoding(element, pus_type.bits)
            labels = _el(element, "EnumerationList")
            for label, value in item.enumeration:
                _el(labels, "Enumeration", value=value, label=label)
        elif ptc == Ptc.REAL or calibration != IDENTITY:
            element = _el(type_set, f"Float{kind}Type", name=type_name, sizeInBits=64)
            self._describe(element, description)
            self._unit(element, item.unit)
            if ptc == Ptc.REAL:
                _el(element, "FloatDataEncoding", sizeInBits=pus_type.bits, encoding="IEEE754_1985")
            else:
                self._integer_encoding(element, pus_type.bits, ptc == Ptc.SIGNED, calibration)
            self._ranges(element, kind, item)
        elif pus_type.is_integer:
            signed = ptc == Ptc.SIGNED
            element = _el(type_set, f"Integer{kind}Type", name=type_name, signed=signed,
                          sizeInBits=pus_type.bits)
            self._describe(element, description)
            self._unit(element, item.unit)
            self._integer_encoding(element, pus_type.bits, signed)
            self._ranges(element, kind, item)
        elif ptc == Ptc.ABSOLUTE_TIME:
            self._time_type(type_set, f"AbsoluteTime{kind}Type", type_name, description)
        else:
            self._string_type(type_set, kind, type_name, item, length_ref)

    def _describe(self, element: ET.Element, description: str) -> None:
        if description:
            element.set("shortDescription", description)

    def _ranges(self, element: ET.Element, kind: str, item: Field) -> None:
        """ValidRange of an argument; DefaultAlarm static ranges of a parameter."""
        if kind == "Argument" and (item.minimum is not None or item.maximum is not None):
            bounds = {"minInclusive": item.minimum, "maxInclusive": item.maximum}
            _el(_el(element, "ValidRangeSet"), "ValidRange",
                **{k: v for k, v in bounds.items() if v is not None})
        limits = item.limits if isinstance(item, Parameter) else None
        if limits is None:
            return
        ranges = _el(_el(element, "DefaultAlarm"), "StaticAlarmRanges")
        for tag, low, high in (("WarningRange", limits.warning_low, limits.warning_high),
                               ("CriticalRange", limits.alarm_low, limits.alarm_high)):
            bounds = {"minInclusive": low, "maxInclusive": high}
            if low is not None or high is not None:
                _el(ranges, tag, **{k: v for k, v in bounds.items() if v is not None})

    def _time_type(self, type_set: ET.Element, tag: str, type_name: str,
                   description: str) -> None:
        """CUC 4+2 read as one 48-bit count of 2^-16 s since 1958-01-01 TAI (301.0-B-4)."""
        element = _el(type_set, tag, name=type_name)
        self._describe(element, description)
        encoding = _el(element, "Encoding", units="seconds", scale=CUC_FINE_SCALE, offset=0.0)
        _el(encoding, "IntegerDataEncoding", sizeInBits=48, encoding="unsigned")
        _el(_el(element, "ReferenceTime"), "Epoch", "TAI")

    def _string_type(self, type_set: ET.Element, kind: str, type_name: str, item: Field,
                     length_ref: str | None) -> None:
        """Octet (Binary) or character (String) string, fixed or length-prefixed."""
        is_text = item.pus_type.ptc == Ptc.CHARACTER_STRING
        element = _el(type_set, f"{'String' if is_text else 'Binary'}{kind}Type", name=type_name)
        self._describe(element, item.description)
        self._unit(element, item.unit)
        encoding = _el(element, "StringDataEncoding" if is_text else "BinaryDataEncoding",
                       **({"encoding": "UTF-8"} if is_text else {}))
        size = item.pus_type.fixed_size
        if size is not None:
            fixed = _el(encoding, "SizeInBits")
            _el(_el(fixed, "Fixed") if is_text else fixed,
                "FixedValue", str(8 * size))
            return
        if length_ref is None:
            raise LocalProtocolError(f"{item.name}: variable size without a length field")
        holder = (_el(encoding, "Variable", maxSizeInBits=8 * 0xFFFF) if is_text
                  else _el(encoding, "SizeInBits"))
        dynamic = _el(holder, "DynamicValue")
        _el(dynamic, f"{kind}InstanceRef", **{f"{kind.lower()}Ref": length_ref},
            useCalibratedValue=True)
        _el(dynamic, "LinearAdjustment", slope=8)

    # -- telemetry ---------------------------------------------------------------------

    def tm_parameter(self, name: str, item: Field) -> list[str]:
        """Define a telemetry parameter (and its length field); return the entry names."""
        length_ref = _length_name(name) if item.pus_type.fixed_size is None else None
        if length_ref:
            self.raw_parameter(length_ref, 8 * LENGTH_PREFIX.size)
        self.data_type(self.tm_types, "Parameter", f"{name}_Type", item, length_ref)
        _el(self.tm_parameters, "Parameter", name=name, parameterTypeRef=f"{name}_Type")
        return [name] if length_ref is None else [length_ref, name]

    def raw_parameter(self, name: str, bits: int) -> None:
        """An unsigned header field of ``bits`` bits."""
        element = _el(self.tm_types, "IntegerParameterType", name=f"{name}_Type",
                      signed=False, sizeInBits=bits)
        self._unit(element, "")
        self._integer_encoding(element, bits)
        _el(self.tm_parameters, "Parameter", name=name, parameterTypeRef=f"{name}_Type")

    def container(self, name: str, entries: Iterable[str], base: str | None = None, *,
                  restrictions: Iterable[tuple[str, int]] = (), abstract: bool = False,
                  description: str = "") -> None:
        """A SequenceContainer, optionally restricted on header fields of its base."""
        element = _el(self.containers, "SequenceContainer", name=name, abstract=abstract)
        self._describe(element, description)
        entry_list = _el(element, "EntryList")
        for entry in entries:
            _el(entry_list, "ParameterRefEntry", parameterRef=entry)
        if base is None:
            return
        base_element = _el(element, "BaseContainer", containerRef=base)
        criteria = list(restrictions)
        if criteria:
            holder = _el(_el(base_element, "RestrictionCriteria"), "ComparisonList")
            for parameter, value in criteria:
                _el(holder, "Comparison", parameterRef=parameter, value=value,
                    comparisonOperator="==", useCalibratedValue=False)

    def telemetry(self) -> None:
        for name, bits in (*_PRIMARY_HEADER, *_TM_SECONDARY_HEADER):
            self.raw_parameter(name, bits)
        self._time_type(self.tm_types, "AbsoluteTimeParameterType", f"{_TIME_PARAMETER}_Type",
                        "CUC 4+2 on-board time, TAI epoch 1958-01-01")
        _el(self.tm_parameters, "Parameter", name=_TIME_PARAMETER,
            parameterTypeRef=f"{_TIME_PARAMETER}_Type")
        for name, bits in ((PEC_PARAMETER, 16), (STRUCTURE_ID_PARAMETER, 8),
                           (EVENT_ID_PARAMETER, 16), (PARAMETER_COUNT, 8), (PARAMETER_ID, 16)):
            self.raw_parameter(name, bits)
        db = self.db
        self.container("CCSDSPacket", [n for n, _ in _PRIMARY_HEADER], abstract=True,
                       description="CCSDS 133.0-B-2 space packet primary header")
        self.container("PUS_TM", [*(n for n, _ in _TM_SECONDARY_HEADER), _TIME_PARAMETER],
                       "CCSDSPacket", restrictions=[("CCSDS_TYPE", 0), ("CCSDS_SEC_HDR_FLAG", 1),
                                       ("CCSDS_APID", db.apid)], abstract=True,
                       description="PUS-C TM secondary header (ECSS-E-ST-70-41C 7.4.3.2)")
        self.container("PUS_HK_REPORT", [STRUCTURE_ID_PARAMETER], "PUS_TM",
                       restrictions=[("PUS_SERVICE", 3), ("PUS_SUBTYPE", 25)], abstract=True,
                       description="TM(3,25) housekeeping parameter report")
        for parameter in db.parameters:
            self.tm_parameter(parameter.name, parameter)
        for structure in db.housekeeping:
            entries = [*structure.parameters, PEC_PARAMETER]
            self.container(f"HK_{structure.name}", entries, "PUS_HK_REPORT",
                           restrictions=[(STRUCTURE_ID_PARAMETER, structure.id)],
                           description=structure.description)
        self.container("PUS_PARAMETER_REPORT", [PARAMETER_COUNT, PARAMETER_ID], "PUS_TM",
                       restrictions=[("PUS_SERVICE", 20), ("PUS_SUBTYPE", 2)], abstract=True,
                       description="TM(20,2) parameter value report of one parameter (N = 1)")
        for parameter in db.parameters:
            self.container(f"PARAMETER_{parameter.name}", [parameter.name, PEC_PARAMETER],
                           "PUS_PARAMETER_REPORT", restrictions=[
                               (PARAMETER_COUNT, 1), (PARAMETER_ID, parameter.id)])
        self.container("PUS_EVENT_REPORT", [EVENT_ID_PARAMETER], "PUS_TM",
                       restrictions=[("PUS_SERVICE", 5)], abstract=True,
                       description="TM(5,1..4) event reports")
        for event in db.events:
            entries = []
            for item in event.parameters:
                entries += self.tm_parameter(_tm_field_name(event.name, item), item)
            criteria = [(EVENT_ID_PARAMETER, event.id), ("PUS_SUBTYPE", event.subtype)]
            self.container(f"EVENT_{event.name}", [*entries, PEC_PARAMETER], "PUS_EVENT_REPORT",
                           restrictions=criteria, description=event.description)

    # -- commands ----------------------------------------------------------------------

    def _arg_uint(self, name: str, bits: int) -> None:
        element = _el(self.arg_types, "IntegerArgumentType", name=name, signed=False,
                      sizeInBits=bits)
        self._unit(element, "")
        self._integer_encoding(element, bits)

    def commands(self) -> None:
        for bits in (4, 8, 11, 16):
            self._arg_uint(f"uint{bits}_Type", bits)
        base = _el(self.meta_commands, "MetaCommand", name="PUS_TC", abstract=True,
                   shortDescription="PUS-C TC headers (ECSS-E-ST-70-41C 7.4.3.1); the "
                   "uplink fills sequence count and length and appends the PEC")
        arguments = _el(base, "ArgumentList")
        for name, bits in (("apid", 11), ("ack_flags", 4), ("service", 8), ("subtype", 8),
                           ("source_id", 16)):
            _el(arguments, "Argument", name=name, argumentTypeRef=f"uint{bits}_Type",
                **({"initialValue": 15} if name == "ack_flags" else {}))
        container = _el(base, "CommandContainer", name="PUS_TC")
        entries = _el(container, "EntryList")
        fixed = (("ccsds_version_type_flag", "03", 5), ("apid", None, 11),
                 ("sequence_flags", "03", 2), ("sequence_count", "0000", 14),
                 ("packet_length", "0000", 16), ("pus_version", "02", 4), ("ack_flags", None, 4),
                 ("service", None, 8), ("subtype", None, 8), ("source_id", None, 16))
        for name, value, bits in fixed:
            if value is None:
                _el(entries, "ArgumentRefEntry", argumentRef=name)
            else:
                _el(entries, "FixedValueEntry", name=name, binaryValue=value, sizeInBits=bits)
        for command in self.db.commands:
            self.meta_command(command.name, command)

    def meta_command(self, name: str, command: Command) -> None:
        element = _el(self.meta_commands, "MetaCommand", name=name)
        self._describe(element, command.description + (" [CRITICAL]" if command.critical
                                                       else ""))
        assignments = _el(_el(element, "BaseMetaCommand", metaCommandRef="PUS_TC"),
                          "ArgumentAssignmentList")
        for argument, value in (("apid", self.db.apid), ("service", command.service),
                                ("subtype", command.subtype)):
            _el(assignments, "ArgumentAssignment", argumentName=argument, argumentValue=value)
        entry_names = []
        if command.arguments:
            arguments = _el(element, "ArgumentList")
            for item in command.arguments:
                type_name = f"{name}__{item.name}_Type"
                length_ref = None
                if item.pus_type.fixed_size is None:
                    length_ref = _length_name(item.name)
                    _el(arguments, "Argument", name=length_ref, argumentTypeRef="uint16_Type",
                        shortDescription=f"octets of {item.name}")
                    entry_names.append(length_ref)
                self.data_type(self.arg_types, "Argument", type_name, item, length_ref)
                _el(arguments, "Argument", name=item.name, argumentTypeRef=type_name)
                entry_names.append(item.name)
        container = _el(element, "CommandContainer", name=f"{name}_Container")
        entries = _el(container, "EntryList")
        for entry in entry_names:
            _el(entries, "ArgumentRefEntry", argumentRef=entry)
        _el(container, "BaseContainer", containerRef="PUS_TC")
        if command.critical:
            _el(element, "DefaultSignificance", consequenceLevel="critical",
                reasonForWarning="critical command: confirm before sending")


def to_element(db: MissionDatabase) -> ET.Element:
    """The XTCE SpaceSystem element of ``db``."""
    writer = _Writer(db)
    writer.telemetry()
    writer.commands()
    return writer.root


def to_xtce(db: MissionDatabase) -> str:
    """The XTCE 1.2 document (UTF-8 XML text with declaration, indented)."""
    root = to_element(db)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
