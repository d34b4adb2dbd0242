import json

from deepclust.workflow.machine import best_simd, cpu_model_and_flags, machine_info

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9R14 96-Core Processor
flags\t\t: fpu sse sse4_1 sse4_2 avx avx2 avx512f avx512_vnni avx512_bf16

processor\t: 1
model name\t: AMD EPYC 9R14 96-Core Processor
flags\t\t: fpu sse sse4_1 sse4_2 avx avx2 avx512f avx512_vnni avx512_bf16
"""


def test_reads_the_cpu_model_and_its_best_instruction_set(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO)
    model, flags = cpu_model_and_flags(cpuinfo)
    assert model == "AMD EPYC 9R14 96-Core Processor"
    assert best_simd(flags) == "avx512_bf16"
    assert best_simd({"sse4_2", "avx", "avx2"}) == "avx2"
    assert best_simd({"fpu"}) is None


def test_records_the_onednn_settings_and_versions_without_host_or_time(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO)
    default = machine_info(cpuinfo, environ={})
    assert default["cpu_simd"] == "avx512_bf16"
    assert default["onednn_max_cpu_isa"] == "default"
    assert "tf_enable_onednn_opts" not in default
    assert default["numpy"]
    capped = machine_info(cpuinfo, environ={"ONEDNN_MAX_CPU_ISA": "AVX2",
                                            "TF_ENABLE_ONEDNN_OPTS": "0"})
    assert capped["onednn_max_cpu_isa"] == "AVX2" and capped["tf_enable_onednn_opts"] == "0"
    # JSON-able and the same on every call: two runs on one machine write identical records
    assert json.dumps(machine_info(cpuinfo, environ={})) == json.dumps(default)
    assert set(default) == {"cpu", "cpu_simd", "onednn_max_cpu_isa", "numpy", "tensorflow"}


def test_falls_back_to_the_platform_without_cpuinfo(tmp_path):
    model, flags = cpu_model_and_flags(tmp_path / "missing")
    assert model and flags == set()
    assert machine_info(tmp_path / "missing", environ={})["cpu_simd"] is None
